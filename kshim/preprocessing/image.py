"""``keras.preprocessing.image``: the image-file helpers Keras 3 still exports under the legacy path.

The same functions as ``kshim.utils.load_img`` and friends, plus ``smart_resize``.
"""

from ..utils.image_utils import array_to_img, img_to_array, load_img, save_img, smart_resize

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"]
