require("node:http")
  .createServer((_q, s) => s.end("ok"))
  .listen(8080);
