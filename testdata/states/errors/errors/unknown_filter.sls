uses_unknown_filter:
  test.succeed_without_changes:
    - comment: {{ "x" | no_such_filter }}
