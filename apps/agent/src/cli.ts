// Entry point of the bundle and of `tsx src/cli.ts`: importing main.ts alone starts nothing.
import { main } from "./main";

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
