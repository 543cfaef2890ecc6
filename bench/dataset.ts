// The benchmark's dataset: the simulated history that the CLI's `demo` writes too, ending at a fixed instant.
export * from '../src/demo/simulated-history.js';
