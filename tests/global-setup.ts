import { execFileSync } from 'node:child_process';

// Tests that spawn processes or import the package as a consumer would use the built JavaScript in dist/.
export default function buildPackage(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], {
    cwd: new URL('..', import.meta.url),
    stdio: 'inherit',
  });
}
