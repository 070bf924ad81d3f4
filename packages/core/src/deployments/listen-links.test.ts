import { validateWorkflow } from "@capstan/templates/workflow/validate-workflow";
import { describe, expect, it } from "vitest";
import { listenLinks } from "./listen-links";

function spec(ports: unknown[], extra = "") {
  const result = validateWorkflow(`name: shop
targets: { hosts: [web-1] }
services:
  web:
    compose:
      inline:
        services:
          web:
            image: capstan-busybox:test
            ports: ${JSON.stringify(ports)}
${extra}`);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.spec;
}

const web1 = { name: "web-1", facts: { hostname: "web-1.internal", publicAddresses: "203.0.114.7" } };

describe("where a deployment's services listen, as links", () => {
  it("links a loopback port at its address, naming the only host", () => {
    expect(listenLinks(spec(["127.0.0.1:8080:80"]), [{ name: "local", facts: {} }])).toEqual([
      { service: "web", host: "local", url: "http://127.0.0.1:8080/", loopback: true },
    ]);
  });

  it("links a port on every interface at each host's address: public address, else hostname, else name", () => {
    const hosts = [web1, { name: "web-2", facts: { hostname: "web-2.lan" } }, { name: "web-3", facts: {} }];
    expect(
      listenLinks(spec(["8080:80", { target: 443, published: "8443", host_ip: "0.0.0.0" }]), hosts),
    ).toEqual([
      { service: "web", host: "web-1", url: "http://203.0.114.7:8080/", loopback: false },
      { service: "web", host: "web-2", url: "http://web-2.lan:8080/", loopback: false },
      { service: "web", host: "web-3", url: "http://web-3:8080/", loopback: false },
      { service: "web", host: "web-1", url: "http://203.0.114.7:8443/", loopback: false },
      { service: "web", host: "web-2", url: "http://web-2.lan:8443/", loopback: false },
      { service: "web", host: "web-3", url: "http://web-3:8443/", loopback: false },
    ]);
  });

  it("links IPv6 bindings in brackets and leaves out what has no fixed TCP host port", () => {
    expect(
      listenLinks(spec(["[::1]:9000:80", "8080", "53:53/udp", "9000-9005:80", 8081]), [web1]).map(
        (l) => l.url,
      ),
    ).toEqual(["http://[::1]:9000/"]);
  });

  it("links each domain over HTTPS, with its path", () => {
    const domains = `    domains:
      - host: shop.example.com
        port: 80
      - host: example.com
        port: 80
        path: /api
`;
    expect(listenLinks(spec([], domains), [web1]).map((l) => [l.url, l.host])).toEqual([
      ["https://shop.example.com/", null],
      ["https://example.com/api", null],
    ]);
  });

  it("a hostile agent's facts or a crafted port cannot make a link elsewhere or of another scheme", () => {
    const hostile = [
      {
        name: "web-1",
        facts: {
          publicAddresses: "javascript:alert(1)//,1.2.3",
          hostname: 'evil.example/"><script>alert(1)</script>',
        },
      },
    ];
    const links = listenLinks(
      spec(["8080:80", "javascript:alert(1):8080:80", "evil.com/x:8081:80"]),
      hostile,
    );
    // Neither fact is an address: the host's own (validated) name is used instead.
    expect(links.map((l) => l.url)).toEqual(["http://web-1:8080/"]);
    for (const link of links) expect(new URL(link.url).protocol).toBe("http:");
  });

  it("adds the host ports a Compose service reported that the spec does not fix, at the host's address", () => {
    const reported = [
      { service: "web", published: 32768 }, // "80": a random host port
      { service: "web", published: 8080 }, // already linked from the spec
      { service: "other", published: 9000 },
      { service: "web", published: 70000 }, // not a port
    ];
    expect(listenLinks(spec(["8080:80", "80"]), [{ ...web1, reported }]).map((l) => l.url)).toEqual([
      "http://203.0.114.7:8080/",
      "http://203.0.114.7:32768/",
    ]);
  });

  it("says nothing without a spec", () => {
    expect(listenLinks(null, [web1])).toEqual([]);
  });
});
