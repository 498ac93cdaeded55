"""Hydra's own launcher test suites against vertex_pipeline in local mode.

The suites' task functions live in the test process, so the main component runs inline; the
suites select launchers by name, so a one-component launcher config is registered for them.
"""

import pytest
from hydra.core.config_store import ConfigStore
from hydra.test_utils.launcher_common_tests import (
    BatchedSweeperTestSuite,
    IntegrationTestSuite,
    LauncherTestSuite,
)

from hydra_plugins.hydra_vertex_pipeline_launcher.config import (
    ComponentConf,
    LocalConf,
    LocalMain,
    Mode,
    VertexPipelineLauncherConf,
)

ConfigStore.instance().store(
    group="hydra/launcher",
    name="vertex_pipeline_local_inline",
    node=VertexPipelineLauncherConf(
        mode=Mode.local,
        local=LocalConf(main=LocalMain.inline),
        components={"app": ComponentConf(main=True)},
    ),
)


@pytest.mark.parametrize("launcher_name, overrides", [("vertex_pipeline_local_inline", [])])
class TestVertexPipelineLauncherLocal(LauncherTestSuite):
    pass


@pytest.mark.parametrize(
    "launcher_name, overrides",
    [("vertex_pipeline_local_inline", ["hydra.sweeper.max_batch_size=2"])],
)
class TestVertexPipelineLauncherLocalBatched(BatchedSweeperTestSuite):
    pass


@pytest.mark.parametrize(
    "task_launcher_cfg, extra_flags",
    [
        (
            {
                "defaults": [
                    {"override hydra/launcher": "vertex_pipeline"},
                    {"override hydra/hydra_logging": "hydra_debug"},
                    {"override hydra/job_logging": "disabled"},
                ],
                "hydra": {
                    "launcher": {
                        "mode": "local",
                        "local": {"main": "inline"},
                        "components": {"app": {"main": True}},
                    }
                },
            },
            ["-m"],
        )
    ],
)
class TestVertexPipelineLauncherLocalIntegration(IntegrationTestSuite):
    pass
