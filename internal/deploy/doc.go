// Package deploy holds the production deployment assets that are not Go
// code, and the tests that keep them consistent with the binary.
//
// The topology itself is docker-compose.yml and Dockerfile at the repository
// root; this directory holds what they mount:
//
//   - postgres/initdb: run by the postgres image on an empty data volume;
//     creates the rcm, temporal and temporal_visibility databases and their
//     owning roles;
//   - temporal/dynamicconfig: the Temporal server's dynamic configuration.
//
// The package has no non-test code. Its tests parse docker-compose.yml and
// the Dockerfile and fail when a service, dependency, volume, environment
// variable or build setting the binary relies on is missing or wrong. See
// README.md for how to run the stack.
package deploy
