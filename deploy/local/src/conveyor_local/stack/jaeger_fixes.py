"""Jaeger built smaller: only what the local stack's jaeger.yaml runs (Jaeger.source_fixes
applies these). The same program with fewer parts compiled in, so its first build takes less
time (measured on two shared cores, cold build cache, warm module cache; see the README).

jaeger.yaml uses the OTLP receiver, the batch processor, the jaeger_storage exporter and the
jaeger_storage (memory backend), jaeger_query and healthcheckv2 extensions. Everything else
that ``cmd/jaeger`` registers is left out: a configuration that names it fails at start with
Jaeger's own "unknown type" error.
"""

from conveyor_local.stack.go_build import SourceFix, SpanFix

COMPONENTS = "cmd/jaeger/internal/components.go"

_ONLY_WHAT_THE_STACK_RUNS = (
    SpanFix(
        COMPONENTS,
        start="import (\n",
        end="\ntype builders struct",
        new="""import (
\t"github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckv2extension"
\t"go.opentelemetry.io/collector/component"
\t"go.opentelemetry.io/collector/connector"
\t"go.opentelemetry.io/collector/exporter"
\t"go.opentelemetry.io/collector/extension"
\t"go.opentelemetry.io/collector/otelcol"
\t"go.opentelemetry.io/collector/processor"
\t"go.opentelemetry.io/collector/processor/batchprocessor"
\t"go.opentelemetry.io/collector/receiver"
\t"go.opentelemetry.io/collector/receiver/otlpreceiver"

\t"github.com/jaegertracing/jaeger/cmd/jaeger/internal/exporters/storageexporter"
\t"github.com/jaegertracing/jaeger/cmd/jaeger/internal/extension/jaegerquery"
\t"github.com/jaegertracing/jaeger/cmd/jaeger/internal/extension/jaegerstorage"
)
""",
        why="only the components jaeger.yaml names are imported (and so compiled)",
    ),
    SpanFix(
        COMPONENTS,
        start="\tfactories.Extensions, err = b.extension(",
        end="\treturn factories, nil\n",
        new="""\tif factories.Extensions, err = b.extension(
\t\thealthcheckv2extension.NewFactory(), jaegerquery.NewFactory(), jaegerstorage.NewFactory(),
\t); err != nil {
\t\treturn otelcol.Factories{}, err
\t}
\tif factories.Receivers, err = b.receiver(otlpreceiver.NewFactory()); err != nil {
\t\treturn otelcol.Factories{}, err
\t}
\tif factories.Exporters, err = b.exporter(storageexporter.NewFactory()); err != nil {
\t\treturn otelcol.Factories{}, err
\t}
\tif factories.Processors, err = b.processor(batchprocessor.NewFactory()); err != nil {
\t\treturn otelcol.Factories{}, err
\t}
\tif factories.Connectors, err = b.connector(); err != nil {
\t\treturn otelcol.Factories{}, err
\t}
""",
        why="only the components jaeger.yaml names are registered: the OTLP receiver, the batch "
        "processor, the jaeger_storage exporter and the three extensions",
    ),
)

STORAGE = "cmd/jaeger/internal/extension/jaegerstorage"
_NO_ELASTICSEARCH = "no Elasticsearch or OpenSearch storage (the stack keeps traces in memory)"

# Elasticsearch/OpenSearch: its Go client's typed API alone was over a third of the compile
# time of the build above. Its storage, its metrics store, the v1 factory's case for it and the
# `es-mappings` command go; the Prometheus metrics store keeps its authenticator setting.
_WITHOUT_ELASTICSEARCH = (
    SourceFix(
        "cmd/jaeger/main.go",
        old='\t"github.com/jaegertracing/jaeger/internal/storage/v1/elasticsearch/mappings"\n',
        new="",
        why=_NO_ELASTICSEARCH,
    ),
    SourceFix(
        "cmd/jaeger/main.go",
        old="\tcommand.AddCommand(mappings.Command())\n",
        new="",
        why=_NO_ELASTICSEARCH,
    ),
    SourceFix(
        f"{STORAGE}/config.go",
        old='\tescfg "github.com/jaegertracing/jaeger/internal/storage/elasticsearch/config"\n',
        new='\t"go.opentelemetry.io/collector/config/configauth"\n',
        why=_NO_ELASTICSEARCH,
    ),
    SourceFix(
        f"{STORAGE}/config.go",
        old='\tes "github.com/jaegertracing/jaeger/internal/storage/v1/elasticsearch"\n',
        new="",
        why=_NO_ELASTICSEARCH,
    ),
    SourceFix(
        f"{STORAGE}/config.go",
        old='\tElasticsearch *escfg.Configuration      `mapstructure:"elasticsearch"`\n'
        '\tOpensearch    *escfg.Configuration      `mapstructure:"opensearch"`\n',
        new="",
        why=_NO_ELASTICSEARCH,
    ),
    SourceFix(
        f"{STORAGE}/config.go",
        old='\tElasticsearch *escfg.Configuration     `mapstructure:"elasticsearch"`\n'
        '\tOpensearch    *escfg.Configuration     `mapstructure:"opensearch"`\n',
        new="",
        why=_NO_ELASTICSEARCH,
    ),
    SourceFix(
        f"{STORAGE}/config.go",
        old='\tAuthentication escfg.Authentication  `mapstructure:"auth"`\n',
        new='\tAuthentication configauth.Config `mapstructure:"auth"`\n',
        why="the Prometheus metrics store's authenticator setting, without the Elasticsearch "
        "package that declared it",
    ),
    SourceFix(
        f"{STORAGE}/config.go",
        old="\t\tv := es.DefaultConfig()\n\t\tcfg.Elasticsearch = &v\n",
        new="",
        why=_NO_ELASTICSEARCH,
        count=2,
    ),
    SourceFix(
        f"{STORAGE}/config.go",
        old="\t\tv := es.DefaultConfig()\n\t\tcfg.Opensearch = &v\n",
        new="",
        why=_NO_ELASTICSEARCH,
        count=2,
    ),
    SourceFix(
        f"{STORAGE}/extension.go",
        old='\t"github.com/jaegertracing/jaeger/internal/storage/elasticsearch/config"\n'
        '\tesmetrics "github.com/jaegertracing/jaeger/internal/storage/metricstore/'
        'elasticsearch"\n',
        new='\t"go.opentelemetry.io/collector/config/configauth"\n',
        why=_NO_ELASTICSEARCH,
    ),
    SourceFix(
        f"{STORAGE}/extension.go",
        old='\tes "github.com/jaegertracing/jaeger/internal/storage/v2/elasticsearch"\n',
        new="",
        why=_NO_ELASTICSEARCH,
    ),
    SpanFix(
        f"{STORAGE}/extension.go",
        start="\t\tcase cfg.Elasticsearch != nil:\n\t\t\tesTelset := telset\n"
        '\t\t\tesTelset.Metrics = scopedMetricsFactory(storageName, "elasticsearch", "tracestore")',
        end="\t\tcase cfg.ClickHouse != nil:",
        new="",
        why=_NO_ELASTICSEARCH,
    ),
    SpanFix(
        f"{STORAGE}/extension.go",
        start="\t\tcase cfg.Elasticsearch != nil:\n\t\t\tesTelset := telset\n"
        "\t\t\tesTelset.Metrics = scopedMetricsFactory(metricStorageName, "
        '"elasticsearch", "metricstore")',
        end="\t\tdefault:\n\t\t\terr = fmt.Errorf(",
        new="",
        why=_NO_ELASTICSEARCH,
    ),
    SourceFix(
        f"{STORAGE}/extension.go",
        old="authCfg config.Authentication,",
        new="authCfg configauth.Config,",
        why=_NO_ELASTICSEARCH,
    ),
    SourceFix(
        "internal/storage/v1/factory/factory.go",
        old='\tes "github.com/jaegertracing/jaeger/internal/storage/v1/elasticsearch"\n',
        new="",
        why=_NO_ELASTICSEARCH,
    ),
    SourceFix(
        "internal/storage/v1/factory/factory.go",
        old="\tcase elasticsearchStorageType, opensearchStorageType:\n"
        "\t\treturn es.NewFactory(), nil\n",
        new="",
        why=_NO_ELASTICSEARCH,
    ),
    SourceFix(
        "internal/storage/v1/factory/factory.go",
        old="\tcase elasticsearchStorageType, opensearchStorageType:\n"
        "\t\treturn es.NewArchiveFactory(), true\n",
        new="",
        why=_NO_ELASTICSEARCH,
    ),
)

JAEGER_FIXES = (*_ONLY_WHAT_THE_STACK_RUNS, *_WITHOUT_ELASTICSEARCH)
