"""Types the type checker relies on stay true to the running code."""

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
    declared = {node.name for node in ast.parse(stub.read_text()).body if isinstance(node, ast.FunctionDef)}
    present = {name for name in dir(_collector) if not name.startswith("_") and callable(getattr(_collector, name))}
    assert declared == present
