import { readFile } from "node:fs/promises";
import { generate } from "selfsigned";

export interface CpTlsMaterial {
  key: string;
  cert: string;
}

/** Where the certificate comes from: made at start (default), given as PEM text, or read from files. */
export type CpTlsOptions = { certFile: string; keyFile: string } | CpTlsMaterial;

/**
 * A self-signed certificate for localhost and 127.0.0.1, like the gateway's bundled one but fresh per start.
 * EC P-256 because pure-JS RSA generation costs a quarter of a second.
 */
export async function generateLocalhostCertificate(): Promise<CpTlsMaterial> {
  const now = new Date();
  const r = await generate([{ name: "commonName", value: "localhost" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + 365 * 86_400_000),
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
        ],
      },
    ],
  });
  return { key: r.private, cert: r.cert };
}

export async function loadTls(options: CpTlsOptions | undefined): Promise<CpTlsMaterial> {
  if (!options) return generateLocalhostCertificate();
  if ("certFile" in options) {
    const [cert, key] = await Promise.all([
      readFile(options.certFile, "utf8"),
      readFile(options.keyFile, "utf8"),
    ]);
    return { cert, key };
  }
  return options;
}
