// What `require('countersign/testing…')` gets: the QA kit is ECMAScript modules only (it uses
// import.meta and top-level imports of ES modules), so a CommonJS project is told what to change.
throw new Error(
  'countersign/testing is an ES module and cannot be loaded with require(). ' +
    'Add "type": "module" to your package.json (or name your test files *.spec.mts), ' +
    "and import it: import { test, expect } from 'countersign/testing/fixture';",
);
