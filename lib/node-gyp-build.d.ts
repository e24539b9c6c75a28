/** node-gyp-build ships no types: it loads the addon of the package at `dir`. */
declare module 'node-gyp-build' {
  // The addon's shape is typed where it is used (native.ts).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  function load(dir: string): any;
  namespace load {
    /** The path of the addon load(dir) would load. */
    function resolve(dir: string): string;
  }
  export = load;
}
