import { describe, expect, it } from "vitest";
import { describeError } from "./disk-errors";

const fsError = (code: string, path?: string) =>
  Object.assign(new Error(`${code}: no space left on device, write`), { code, path });

describe("describeError", () => {
  it("names the state disk for a full disk, or the disk of the path that failed", () => {
    expect(describeError(fsError("ENOSPC"), "/var/lib/capstan")).toMatch(
      /^no space left on the host's state disk \(\/var\/lib\/capstan\): free space there .* \(ENOSPC\)$/,
    );
    expect(describeError(fsError("ENOSPC", "/var/lib/capstan/systemd/x"), "/var/lib/capstan")).toMatch(
      /on the host's state disk \(\/var\/lib\/capstan\)/,
    );
    expect(describeError(fsError("EDQUOT", "/etc/systemd/system/a.service"), "/var/lib/capstan")).toMatch(
      /^the disk quota is used up on the disk holding \/etc\/systemd\/system\/a\.service/,
    );
    expect(describeError(fsError("ENOSPC", "/var/lib/capstan-other"), "/var/lib/capstan")).toMatch(
      /disk holding \/var\/lib\/capstan-other/,
    );
  });

  it("leaves other errors as they are", () => {
    expect(describeError(fsError("EACCES"), "/var/lib/capstan")).toBe(
      "EACCES: no space left on device, write",
    );
    expect(describeError(new Error("sha256 mismatch"), "/x")).toBe("sha256 mismatch");
  });
});
