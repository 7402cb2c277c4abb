"""{{ cookiecutter.plugin_name }}: the sfsync connector for {{ cookiecutter.package_name }}.

The connector object lives in :mod:`{{ cookiecutter.module_name }}.connector` and is found through
the ``sfsync`` entry point ``{{ cookiecutter.connector_name }}``; the offline stand-in of the
package's API is :mod:`{{ cookiecutter.module_name }}.sandbox`.
"""

__version__ = "0.1.0"
