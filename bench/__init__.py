"""acmehub's benchmark: a load generator of our own and the side-by-side run with Pebble.

`python -m bench.loadgen --help` drives one workload against any ACME directory URL;
`python -m bench.run` (`make bench`) starts the servers and runs every workload against each.
"""
