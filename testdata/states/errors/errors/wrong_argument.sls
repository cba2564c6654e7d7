missing_required_args:
  file.replace:
    - name: /nonexistent/golden/file

fine_state_wrong_arg:
  test.succeed_without_changes: []
