"""Keras' model zoo (`keras.applications`) on layerax: same constructors, layer names and weights.

Every family module (`lx.applications.resnet`, `.mobilenet_v2`, ...) has its model
functions, `preprocess_input` and `decode_predictions`; `imagenet_utils` holds the
shared ImageNet helpers. `weights="imagenet"` downloads Keras' published files.
"""

from __future__ import annotations

from layerax.applications import efficientnet as efficientnet
from layerax.applications import imagenet_utils as imagenet_utils
from layerax.applications import mobilenet as mobilenet
from layerax.applications import mobilenet_v2 as mobilenet_v2
from layerax.applications import resnet as resnet
from layerax.applications import resnet50 as resnet50
from layerax.applications import resnet_v2 as resnet_v2
from layerax.applications import vgg16 as vgg16
from layerax.applications import vgg19 as vgg19
from layerax.applications.efficientnet import EfficientNetB0 as EfficientNetB0
from layerax.applications.efficientnet import EfficientNetB1 as EfficientNetB1
from layerax.applications.efficientnet import EfficientNetB2 as EfficientNetB2
from layerax.applications.efficientnet import EfficientNetB3 as EfficientNetB3
from layerax.applications.efficientnet import EfficientNetB4 as EfficientNetB4
from layerax.applications.efficientnet import EfficientNetB5 as EfficientNetB5
from layerax.applications.efficientnet import EfficientNetB6 as EfficientNetB6
from layerax.applications.efficientnet import EfficientNetB7 as EfficientNetB7
from layerax.applications.mobilenet import MobileNet as MobileNet
from layerax.applications.mobilenet_v2 import MobileNetV2 as MobileNetV2
from layerax.applications.resnet import ResNet50 as ResNet50
from layerax.applications.resnet import ResNet101 as ResNet101
from layerax.applications.resnet import ResNet152 as ResNet152
from layerax.applications.resnet_v2 import ResNet50V2 as ResNet50V2
from layerax.applications.resnet_v2 import ResNet101V2 as ResNet101V2
from layerax.applications.resnet_v2 import ResNet152V2 as ResNet152V2
from layerax.applications.vgg16 import VGG16 as VGG16
from layerax.applications.vgg19 import VGG19 as VGG19

__all__ = [
    "EfficientNetB0",
    "EfficientNetB1",
    "EfficientNetB2",
    "EfficientNetB3",
    "EfficientNetB4",
    "EfficientNetB5",
    "EfficientNetB6",
    "EfficientNetB7",
    "MobileNet",
    "MobileNetV2",
    "ResNet101",
    "ResNet101V2",
    "ResNet152",
    "ResNet152V2",
    "ResNet50",
    "ResNet50V2",
    "VGG16",
    "VGG19",
    "efficientnet",
    "imagenet_utils",
    "mobilenet",
    "mobilenet_v2",
    "resnet",
    "resnet50",
    "resnet_v2",
    "vgg16",
    "vgg19",
]

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

# Part C families (MobileNetV3, EfficientNetV2).
from layerax.applications import efficientnet_v2 as efficientnet_v2
from layerax.applications import mobilenet_v3 as mobilenet_v3
from layerax.applications.efficientnet_v2 import EfficientNetV2B0 as EfficientNetV2B0
from layerax.applications.efficientnet_v2 import EfficientNetV2B1 as EfficientNetV2B1
from layerax.applications.efficientnet_v2 import EfficientNetV2B2 as EfficientNetV2B2
from layerax.applications.efficientnet_v2 import EfficientNetV2B3 as EfficientNetV2B3
from layerax.applications.efficientnet_v2 import EfficientNetV2L as EfficientNetV2L
from layerax.applications.efficientnet_v2 import EfficientNetV2M as EfficientNetV2M
from layerax.applications.efficientnet_v2 import EfficientNetV2S as EfficientNetV2S
from layerax.applications.mobilenet_v3 import MobileNetV3Large as MobileNetV3Large
from layerax.applications.mobilenet_v3 import MobileNetV3Small as MobileNetV3Small

__all__ += [
    "EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3", "EfficientNetV2L",
    "EfficientNetV2M", "EfficientNetV2S", "MobileNetV3Large", "MobileNetV3Small", "efficientnet_v2",
    "mobilenet_v3",
]
