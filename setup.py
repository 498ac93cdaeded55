# type: ignore
from pathlib import Path

from setuptools import find_namespace_packages, setup
from setuptools.command.editable_wheel import editable_wheel


class EditableWithPathEntry(editable_wheel):
    """`pip install -e .` as a plain sys.path entry: Hydra discovers plugins by walking the
    hydra_plugins namespace with pkgutil, which cannot see setuptools' import-hook finder."""

    def initialize_options(self):
        super().initialize_options()
        self.mode = "compat"


root = Path(__file__).parent
GCPC = "google-cloud-pipeline-components>=2.22,<3"
version_ns: dict = {}
exec((root / "hydra_plugins/hydra_vertex_pipeline_launcher/__init__.py").read_text(), version_ns)

setup(
    name="hydra-vertex-pipeline-launcher",
    version=version_ns["__version__"],
    author="hydra-vertex-pipeline-launcher developers",
    description="Hydra launcher plugin that runs multiruns as Vertex AI Pipelines",
    long_description=(root / "README.md").read_text(),
    long_description_content_type="text/markdown",
    packages=find_namespace_packages(
        include=["hydra_plugins.*", "hydra_vertex_pipelines*", "hydra_vertex_emulator*"]
    ),
    cmdclass={"editable_wheel": EditableWithPathEntry},
    package_data={"hydra_plugins.hydra_vertex_pipeline_launcher": ["py.typed"]},
    classifiers=[
        "License :: OSI Approved :: MIT License",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Operating System :: OS Independent",
    ],
    python_requires=">=3.10",
    install_requires=[
        "hydra-core>=1.3.2,<1.4",
        "kfp>=2.17.0,<2.18",
        "google-cloud-aiplatform>=1.60",
        "google-cloud-storage>=2.18",
        "requests>=2.28",
    ],
    extras_require={
        # components with a machine_type run as Vertex custom jobs, compiled by GCPC; GCPC
        # requires google-cloud-aiplatform<2, so installing it selects the 1.x line (README)
        "custom-job": [GCPC],
        # the example trains on an exact machine (a custom job)
        "example": ["torch>=2.2", "torchvision>=0.17", "scikit-learn>=1.3", GCPC],
        "test": [
            GCPC,
            "pytest>=8",
            "pytest-xdist>=3.5",
            "hypothesis>=6.100",
            "gcp-storage-emulator>=2024.8.3",
            "hydra-optuna-sweeper>=1.2.0",
            "ruff>=0.6",
            "mypy>=1.10",
            "types-PyYAML",
            "types-requests",
        ],
    },
    entry_points={
        "console_scripts": [
            "hydra-vertex-emulator = hydra_vertex_emulator.__main__:main",
            "hydra-vertex-sweep = hydra_vertex_pipelines.sweep_cli:main",
        ],
        "pytest11": ["hydra_vertex_emulator = hydra_vertex_emulator.pytest_plugin"],
    },
    include_package_data=True,
)
