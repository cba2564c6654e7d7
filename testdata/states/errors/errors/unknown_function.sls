unknown_fun:
  test.no_such_function: []

unknown_module:
  nosuchmodule.run: []

fine_state:
  test.succeed_without_changes: []
