/**
 * Objects keyed by client input (member ids, channel names, query parameter names). A plain `{}` gives
 * keys such as `__proto__` a special meaning and makes `constructor` or `toString` look present; an object
 * without a prototype treats every name as an ordinary key and serializes the same way.
 */
export function dict<T> (): Record<string, T> {
  return Object.create(null) as Record<string, T>
}
