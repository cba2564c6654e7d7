bad_req:
  test.succeed_without_changes:
    - require: not-a-list-of-maps
