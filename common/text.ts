/** The word for n things: plural(1, 'span') is 'span', plural(2, 'span') is 'spans'. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return n === 1 ? one : many;
}
