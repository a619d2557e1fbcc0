"""One module per GradBench eval: `prepare(input)`, `FUNCTIONS`, `to_json(function, result)`."""
