/** First byte past the module's static data: the arena starts here (16-byte aligned by the caller). */
export function heap_base(): usize {
  return __heap_base;
}
