/** The part of autocannon 8's API the bench uses (the package ships no types). */
declare module 'autocannon' {
  interface Options {
    url: string
    method?: string
    body?: string
    headers?: Record<string, string>
    connections?: number
    pipelining?: number
    duration?: number
  }
  interface Histogram { average: number, p50: number, p99: number, max: number }
  interface Result {
    duration: number
    requests: Histogram & { total: number }
    latency: Histogram
    '2xx': number
    non2xx: number
    errors: number
    timeouts: number
  }
  function autocannon (options: Options): Promise<Result>
  export default autocannon
}
