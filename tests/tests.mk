# Test suites; see tests/README.md.  `make test` runs them all.
