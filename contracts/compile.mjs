// Compiles the project's Solidity sources with npm's solc (solcjs) through
// standard JSON, and prints the artifact (ABI + creation bytecode) as JSON.
// Run by `cargo xtask contracts`; pinned compiler and EVM version, so the
// output is byte-for-byte reproducible.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const solc = require("solc");
const [source, contract] = process.argv.slice(2);
const input = {
  language: "Solidity",
  sources: { [source]: { content: readFileSync(source, "utf8") } },
  settings: {
    evmVersion: "cancun",
    optimizer: { enabled: true, runs: 200 },
    metadata: { bytecodeHash: "none" },
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === "error");
if (errors.length > 0) {
  for (const e of errors) console.error(e.formattedMessage);
  process.exit(1);
}
const compiled = output.contracts[source][contract];
const artifact = {
  contractName: contract,
  compiler: `solc ${solc.version()}`,
  abi: compiled.abi,
  bytecode: "0x" + compiled.evm.bytecode.object,
};
process.stdout.write(JSON.stringify(artifact, null, 2) + "\n");
