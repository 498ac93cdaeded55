"""Hydra's own launcher test suites against vertex_pipeline in local mode."""

import pytest
from hydra.test_utils.launcher_common_tests import (
    BatchedSweeperTestSuite,
    IntegrationTestSuite,
    LauncherTestSuite,
)

# The suites' task functions live in the test process: the main component runs inline.
LOCAL_INLINE = [
    "hydra.launcher.mode=local",
    "hydra.launcher.local.main=inline",
    "+hydra.launcher.components.app={main:true}",
]


@pytest.mark.parametrize("launcher_name, overrides", [("vertex_pipeline", LOCAL_INLINE)])
class TestVertexPipelineLauncherLocal(LauncherTestSuite):
    pass


@pytest.mark.parametrize(
    "launcher_name, overrides",
    [("vertex_pipeline", [*LOCAL_INLINE, "hydra.sweeper.max_batch_size=2"])],
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
