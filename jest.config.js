// ESM-only @actions/* packages need jest's VM modules (NODE_OPTIONS=--experimental-vm-modules)
// and ts-jest in ESM mode; ts-jest-resolver maps the `.js` suffixes of NodeNext imports to `.ts`.
const common = {
  preset: 'ts-jest/presets/default-esm',
  resolver: 'ts-jest-resolver',
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }]
  }
}

export default {
  // A global option: jest ignores it inside `projects`. E2E tests spawn the action and the CLI.
  testTimeout: 60000,
  // A leaked handle must not stall CI after every test has finished.
  forceExit: true,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
      testPathIgnorePatterns: [
        '/node_modules/',
        '<rootDir>/__tests__/e2e/',
        '<rootDir>/__tests__/integration/'
      ]
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: [
        '<rootDir>/__tests__/integration/**/*.test.ts',
        '<rootDir>/__tests__/e2e/**/*.test.ts'
      ]
    }
  ]
}
