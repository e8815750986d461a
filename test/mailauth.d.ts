declare module 'mailauth/lib/dkim/verify.js' {
  export function dkimVerify(
    input: Buffer,
    options: { resolver: (name: string, type: string) => Promise<string[][]>; curTime?: Date },
  ): Promise<{
    results: Array<{
      status: { result: string; comment?: string };
      signingDomain?: string;
      selector?: string;
    }>;
  }>;
}
