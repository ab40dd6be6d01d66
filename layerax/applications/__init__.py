"""Keras' model zoo (`keras.applications`) on layerax: same constructors, layer names and weights.

Every family module (`lx.applications.resnet`, `.mobilenet_v2`, ...) has its model
functions, `preprocess_input` and `decode_predictions`; `imagenet_utils` holds the
shared ImageNet helpers. `weights="imagenet"` downloads Keras' published files.
"""

from __future__ import annotations

from layerax.applications import imagenet_utils as imagenet_utils

__all__ = ["imagenet_utils"]

# Part B families (DenseNet, ConvNeXt, Xception, Inception, NASNet).
from layerax.applications import convnext as convnext
from layerax.applications import densenet as densenet
from layerax.applications import inception_resnet_v2 as inception_resnet_v2
from layerax.applications import inception_v3 as inception_v3
from layerax.applications import nasnet as nasnet
from layerax.applications import xception as xception
from layerax.applications.convnext import ConvNeXtBase as ConvNeXtBase
from layerax.applications.convnext import ConvNeXtLarge as ConvNeXtLarge
from layerax.applications.convnext import ConvNeXtSmall as ConvNeXtSmall
from layerax.applications.convnext import ConvNeXtTiny as ConvNeXtTiny
from layerax.applications.convnext import ConvNeXtXLarge as ConvNeXtXLarge
from layerax.applications.densenet import DenseNet121 as DenseNet121
from layerax.applications.densenet import DenseNet169 as DenseNet169
from layerax.applications.densenet import DenseNet201 as DenseNet201
from layerax.applications.inception_resnet_v2 import InceptionResNetV2 as InceptionResNetV2
from layerax.applications.inception_v3 import InceptionV3 as InceptionV3
from layerax.applications.nasnet import NASNetLarge as NASNetLarge
from layerax.applications.nasnet import NASNetMobile as NASNetMobile
from layerax.applications.xception import Xception as Xception

__all__ += [
    "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtSmall", "ConvNeXtTiny", "ConvNeXtXLarge",
    "DenseNet121", "DenseNet169", "DenseNet201", "InceptionResNetV2", "InceptionV3",
    "NASNetLarge", "NASNetMobile", "Xception", "convnext", "densenet", "inception_resnet_v2",
    "inception_v3", "nasnet", "xception",
]
