// Run a MicroPython script on the WebAssembly port (32-bit words) under node:
//
//     node bench/wasm32.mjs PORT_DIR LIB_DIR SCRIPT [HEAP_BYTES]
//
// PORT_DIR holds node_modules/@micropython/micropython-webassembly-pyscript
// (bench/run.py installs it with npm). LIB_DIR is copied into the port's
// in-memory filesystem at /lib, first on sys.path; SCRIPT runs as __main__.
// The port has no sockets: bench/run.py uses it for heap figures of what an
// app holds after import and setup, on a 32-bit MicroPython.
import fs from "fs";
import path from "path";
import { pathToFileURL } from "url";

const [portDir, libDir, script, heap] = process.argv.slice(2);
const entry = path.join(portDir, "node_modules", "@micropython",
                        "micropython-webassembly-pyscript", "micropython.mjs");
const { loadMicroPython } = await import(pathToFileURL(entry).href);
const mp = await loadMicroPython({
  heapsize: parseInt(heap || "1048576"),
  stdout: (line) => console.log(line),
  stderr: (line) => console.error(line),
});

function copy(src, dst) {
  mp.FS.mkdirTree(dst);
  for (const name of fs.readdirSync(src)) {
    const s = path.join(src, name);
    if (fs.statSync(s).isDirectory()) copy(s, dst + "/" + name);
    else mp.FS.writeFile(dst + "/" + name, fs.readFileSync(s));
  }
}

copy(libDir, "/lib");
mp.runPython("import sys\nsys.path.insert(0, '/lib')");
try {
  mp.runPython(fs.readFileSync(script, "utf8"));
} catch (e) {
  console.error(String(e));
  process.exitCode = 1;
}
