uses_undefined:
  test.succeed_without_changes:
    - name: {{ no_such_variable }}
