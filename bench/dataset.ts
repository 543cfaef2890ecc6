// The benchmark's dataset: simulated history written through the store's own API, ending at a fixed instant.
export * from '../src/demo/simulated-history.js';
