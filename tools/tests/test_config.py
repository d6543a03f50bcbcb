import os
import tempfile
import unittest

from tools.maskrt_export import config
from tools.tests.helpers import R50_CONFIG, TINY_CONFIG, write


class BaseMergingTest(unittest.TestCase):
    def test_base_chain_is_followed_relative_to_each_file_and_later_files_win(self):
        with tempfile.TemporaryDirectory() as d:
            write(os.path.join(d, "a", "root.yaml"),
                  "MODEL:\n  RPN:\n    NMS_THRESH: 0.6\n    PRE_NMS_TOPK_TEST: 500\n  PIXEL_STD: [57.0, 57.0, 58.0]\n")
            write(os.path.join(d, "a", "b", "mid.yaml"),
                  '_BASE_: "../root.yaml"\nMODEL:\n  RPN:\n    NMS_THRESH: 0.65\nINPUT:\n  MIN_SIZE_TEST: 640\n')
            leaf = write(os.path.join(d, "leaf.yaml"),
                         '_BASE_: "a/b/mid.yaml"\nMODEL:\n  RPN:\n    POST_NMS_TOPK_TEST: 300\n')
            cfg = config.load_config(leaf)
        rpn = cfg["MODEL"]["RPN"]
        self.assertEqual(rpn["NMS_THRESH"], 0.65)  # mid overrides root
        self.assertEqual(rpn["PRE_NMS_TOPK_TEST"], 500)  # root survives a sibling override
        self.assertEqual(rpn["POST_NMS_TOPK_TEST"], 300)  # leaf
        self.assertEqual(rpn["BBOX_REG_WEIGHTS"], [1.0, 1.0, 1.0, 1.0])  # detectron2 default
        self.assertEqual(cfg["INPUT"]["MIN_SIZE_TEST"], 640)
        self.assertEqual(cfg["INPUT"]["MAX_SIZE_TEST"], 1333)
        self.assertEqual(cfg["MODEL"]["PIXEL_STD"], [57.0, 57.0, 58.0])
        self.assertEqual(cfg["MODEL"]["PIXEL_MEAN"], [103.530, 116.280, 123.675])

    def test_base_cycle_is_refused(self):
        with tempfile.TemporaryDirectory() as d:
            write(os.path.join(d, "x.yaml"), '_BASE_: "y.yaml"\n')
            y = write(os.path.join(d, "y.yaml"), '_BASE_: "x.yaml"\n')
            with self.assertRaisesRegex(config.ConfigError, "cycle"):
                config.load_config(y)

    def test_missing_base_names_the_file(self):
        with tempfile.TemporaryDirectory() as d:
            leaf = write(os.path.join(d, "leaf.yaml"), '_BASE_: "nope.yaml"\n')
            with self.assertRaisesRegex(config.ConfigError, "nope.yaml"):
                config.load_config(leaf)


class ResolveTest(unittest.TestCase):
    def test_published_r50_cascade_values(self):
        s = config.load_settings(R50_CONFIG)
        a = s["architecture"]
        self.assertEqual((a["depth"], a["res2_out_channels"], a["stem_out_channels"], a["fpn_out_channels"]),
                         (50, 256, 64, 256))
        self.assertTrue(a["stride_in_1x1"])
        self.assertEqual(a["resnet_norm"], "FrozenBN")
        self.assertEqual((a["box_num_fc"], a["box_fc_dim"], a["mask_num_conv"], a["num_classes"]), (2, 1024, 4, 80))
        self.assertEqual(s["input"], {"format": "BGR", "pixel_mean": [103.53, 116.28, 123.675],
                                      "pixel_std": [1.0, 1.0, 1.0], "min_size_test": 800, "max_size_test": 1333,
                                      "size_divisibility": 32, "pad_value": 0.0,
                                      "interpolation": "pil_bilinear"})
        self.assertEqual(s["anchors"]["sizes"], [[32.0], [64.0], [128.0], [256.0], [512.0]])
        self.assertEqual(s["anchors"]["aspect_ratios"], [[0.5, 1.0, 2.0]] * 5)
        self.assertEqual((s["rpn"]["pre_nms_topk"], s["rpn"]["post_nms_topk"], s["rpn"]["nms_thresh"]),
                         (1000, 1000, 0.7))
        roi = s["roi_heads"]
        self.assertEqual((roi["score_thresh"], roi["nms_thresh"], roi["detections_per_image"]), (0.05, 0.5, 100))
        self.assertEqual(roi["stage_bbox_reg_weights"],
                         [[10, 10, 5, 5], [20, 20, 10, 10], [30, 30, 15, 15]])
        self.assertEqual(roi["stage_ious"], [0.5, 0.6, 0.7])
        self.assertEqual((roi["box_pooler"]["resolution"], roi["box_pooler"]["sampling_ratio"]), (7, 0))
        self.assertEqual(roi["mask_pooler"]["resolution"], 14)

    def test_tiny_config(self):
        s = config.load_settings(TINY_CONFIG)
        self.assertEqual(s["architecture"]["depth"], 18)
        self.assertEqual(s["roi_heads"]["class_names"], ["cell", "debris", "blob"])
        self.assertEqual(s["input"]["min_size_test"], 320)

    def _settings_with(self, text):
        with tempfile.TemporaryDirectory() as d:
            leaf = write(os.path.join(d, "leaf.yaml"), f'_BASE_: "{R50_CONFIG}"\n' + text)  # absolute _BASE_
            return config.load_settings(leaf)

    def test_deformable_convolutions_are_read_and_refused_where_detectron2_refuses_them(self):
        s = self._settings_with("MODEL:\n  RESNETS:\n    DEFORM_ON_PER_STAGE: [False, True, True, True]\n"
                                "    DEFORM_MODULATED: True\n    DEFORM_NUM_GROUPS: 2\n")
        self.assertEqual(s["architecture"]["deform_on_per_stage"], [False, True, True, True])
        self.assertTrue(s["architecture"]["deform_modulated"])
        self.assertEqual(s["architecture"]["deform_num_groups"], 2)
        with self.assertRaisesRegex(config.ConfigError,
                                    r"leaf.yaml: MODEL.RESNETS.DEFORM_ON_PER_STAGE: deformable convolutions need"):
            self._settings_with("MODEL:\n  RESNETS:\n    DEPTH: 18\n    RES2_OUT_CHANNELS: 64\n"
                                "    DEFORM_ON_PER_STAGE: [False, True, True, True]\n")

    def test_mask_and_faster_rcnn_are_read(self):
        mask = config.load_settings(os.path.join(os.path.dirname(R50_CONFIG), "mask_rcnn_R_50_FPN_3x.yaml"))
        self.assertEqual(mask["architecture"]["roi_heads"], "StandardROIHeads")
        self.assertEqual(mask["roi_heads"]["stage_bbox_reg_weights"], [[10.0, 10.0, 5.0, 5.0]])
        self.assertFalse(mask["roi_heads"]["cls_agnostic_bbox_reg"])
        self.assertIn("mask_pooler", mask["roi_heads"])
        faster = config.load_settings(os.path.join(os.path.dirname(R50_CONFIG), "faster_rcnn_R_50_FPN_3x.yaml"))
        self.assertFalse(faster["architecture"]["mask_on"])
        self.assertNotIn("mask_pooler", faster["roi_heads"])
        self.assertNotIn("mask_threshold", faster["roi_heads"])

    def test_models_maskrt_does_not_serve_are_refused_naming_the_key(self):
        for text, key in [("MODEL:\n  ROI_HEADS:\n    NAME: RROIHeads\n", "MODEL.ROI_HEADS.NAME"),  # rotated boxes
                          ("MODEL:\n  PROPOSAL_GENERATOR:\n    NAME: RRPN\n", "MODEL.PROPOSAL_GENERATOR.NAME"),
                          ("MODEL:\n  ANCHOR_GENERATOR:\n    NAME: RotatedAnchorGenerator\n",
                           "MODEL.ANCHOR_GENERATOR.NAME"),
                          ("MODEL:\n  ROI_MASK_HEAD:\n    NAME: PointRendMaskHead\n", "MODEL.ROI_MASK_HEAD.NAME"),
                          ("MODEL:\n  META_ARCHITECTURE: PanopticFPN\n", "MODEL.META_ARCHITECTURE"),
                          ("MODEL:\n  KEYPOINT_ON: True\n", "MODEL.KEYPOINT_ON"),
                          ("MODEL:\n  BACKBONE:\n    NAME: build_resnet_backbone\n", "MODEL.BACKBONE.NAME"),  # C4
                          ("MODEL:\n  ROI_HEADS:\n    NAME: Res5ROIHeads\n", "MODEL.ROI_HEADS.NAME")]:
            with self.subTest(key=key, text=text):
                with self.assertRaisesRegex(config.ConfigError, key.replace(".", r"\.")):
                    self._settings_with(text)

    def test_non_cascade_and_unsupported_settings_are_refused(self):
        for text, key in [("MODEL:\n  ROI_BOX_HEAD:\n    CLS_AGNOSTIC_BBOX_REG: False\n",
                           "MODEL.ROI_BOX_HEAD.CLS_AGNOSTIC_BBOX_REG"),  # a cascade regresses class-agnostic boxes
                          ("MODEL:\n  MASK_ON: 1\n", "MODEL.MASK_ON"),
                          ("MODEL:\n  ROI_BOX_HEAD:\n    POOLER_TYPE: ROIAlign\n", "MODEL.ROI_BOX_HEAD.POOLER_TYPE"),
                          ("INPUT:\n  MIN_SIZE_TEST: [640, 800]\n", "INPUT.MIN_SIZE_TEST"),
                          ("MASKRT:\n  CLASS_NAMES: [a, b]\n", "MASKRT.CLASS_NAMES"),
                          ("MODEL:\n  RESNETS:\n    DEPTH: 42\n", "MODEL.RESNETS.DEPTH")]:
            with self.subTest(key=key):
                with self.assertRaisesRegex(config.ConfigError, key.replace(".", r"\.")):
                    self._settings_with(text)

    def test_tuple_strings_and_per_level_anchor_lists(self):
        s = self._settings_with("MODEL:\n  ANCHOR_GENERATOR:\n    ASPECT_RATIOS: [[1.0], [1.0], [2.0], [1.0], [0.5]]\n"
                                "  ROI_BOX_CASCADE_HEAD:\n    IOUS: (0.4, 0.5, 0.6)\n")
        self.assertEqual(s["anchors"]["aspect_ratios"], [[1.0], [1.0], [2.0], [1.0], [0.5]])
        self.assertEqual(s["architecture"]["anchors_per_cell"], 1)
        self.assertEqual(s["roi_heads"]["stage_ious"], [0.4, 0.5, 0.6])

    def test_test_aug_defaults_are_detectron2s_and_settings_are_read(self):
        s = self._settings_with("")
        self.assertEqual(s["test_aug"], {"enabled": False, "min_sizes": [400, 500, 600, 700, 800, 900, 1000, 1100, 1200],
                                         "max_size": 4000, "flip": True})
        s = self._settings_with("TEST:\n  AUG:\n    ENABLED: True\n    MIN_SIZES: (650, 780, 910, 1040)\n"
                                "    MAX_SIZE: 1408\n    FLIP: False\n")
        self.assertEqual(s["test_aug"], {"enabled": True, "min_sizes": [650, 780, 910, 1040], "max_size": 1408,
                                         "flip": False})

    def test_bad_test_aug_settings_are_refused_by_key(self):
        for text, key in [("TEST:\n  AUG:\n    MIN_SIZES: []\n", "TEST.AUG.MIN_SIZES"),
                          ("TEST:\n  AUG:\n    MIN_SIZES: [400, 0]\n", "TEST.AUG.MIN_SIZES"),
                          ("TEST:\n  AUG:\n    MIN_SIZES: 400\n", "TEST.AUG.MIN_SIZES"),
                          ("TEST:\n  AUG:\n    MAX_SIZE: 0\n", "TEST.AUG.MAX_SIZE"),
                          ("TEST:\n  AUG:\n    FLIP: 1\n", "TEST.AUG.FLIP"),
                          ("TEST:\n  AUG:\n    ENABLED: yes please\n", "TEST.AUG.ENABLED")]:
            with self.subTest(text=text):
                with self.assertRaisesRegex(config.ConfigError, key.replace(".", r"\.")):
                    self._settings_with(text)


if __name__ == "__main__":
    unittest.main()
