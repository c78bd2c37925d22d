"""Speed and scale benchmarks (`make bench`): indexing, one-article reindex, query load, growth curve."""
