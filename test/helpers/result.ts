/** The `Ok` of a canister `Result` (`{ Ok } | { Err: ApiError }`); an `Err` fails the test with its code and message. */
export function ok<T>(r: { Ok: T } | { Err: { code: string; message: string } }): T {
  if ('Err' in r) throw new Error(`${r.Err.code}: ${r.Err.message}`);
  return r.Ok;
}
