from sfsync.testing import ConnectorContract


class Test{{ cookiecutter.__class_prefix }}Contract(ConnectorContract):
    connector = "{{ cookiecutter.connector_name }}"
