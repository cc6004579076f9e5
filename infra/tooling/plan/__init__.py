"""The offline plan: run the real program under the SDK's mocks and report what it would create."""
