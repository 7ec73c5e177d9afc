"""The local stack without Docker: Apache Kafka (KRaft), FerretDB and Jaeger as plain processes.

``python -m conveyor_local.stack up | down | status | logs``; ``cli``'s docstring lists every
setting and the Python calls. Each name is imported from the module that owns it: ``settings``
(settings, paths, endpoints), ``server`` (what a server is), ``kafka``, ``ferretdb`` and
``jaeger`` (the servers, with their resources ``kafka_files/`` and ``jaeger.yaml``),
``kafka_build``, ``go_build`` and ``ferretdb_fixes_*`` (building them), ``install``,
``preflight``, ``supervise``, ``processes`` and ``health`` (installing, starting, stopping and
watching them), ``background`` (Jaeger's first build, which ``up`` does not wait for),
``kafka_credentials`` and ``provision`` (Kafka's passwords, users, topics and ACLs),
``commands`` (up, down, status, logs), ``output``.
"""
