import calc  # module-level lines of the code under test run here, before any test


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a marker")
