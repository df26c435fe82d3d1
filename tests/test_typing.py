"""Types the type checker relies on stay true to the running code."""

import sys

from ccov import _collector, config


def test_config_declares_every_setting_with_its_type():
    declared = dict(config.Config.__annotations__)
    declared.pop("origins")
    assert declared == {name: config.ANNOTATIONS[kind] for name, (kind, _) in config.SETTINGS.items()}
    made = config.Config()
    assert all(hasattr(made, name) for name in declared)


def test_the_collector_stub_names_what_the_extension_has():
    import ast
    from pathlib import Path

    stub = Path(config.__file__).with_name("_collector.pyi")
    declared = set()
    todo = list(ast.parse(stub.read_text()).body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef):
            declared.add(node.name)
        elif isinstance(node, ast.If):  # `if sys.version_info < (3, 14):` and the like
            todo.extend(node.body if eval(compile(ast.Expression(node.test), "stub", "eval"), {"sys": sys}) else node.orelse)
    present = {name for name in dir(_collector) if not name.startswith("_") and callable(getattr(_collector, name))}
    assert declared == present
