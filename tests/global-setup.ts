import { execFileSync } from 'node:child_process';

// Tests that spawn processes or import the package as a consumer would use the built JavaScript in dist/: the
// library's ES module and CommonJS builds with their types, and the bundled command.
export default function buildPackage(): void {
  execFileSync('npm', ['run', 'build', '--silent'], {
    cwd: new URL('..', import.meta.url),
    stdio: 'inherit',
  });
}
