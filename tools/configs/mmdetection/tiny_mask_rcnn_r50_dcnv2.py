# Narrow Mask R-CNN R-50-FPN with modulated deformable convolutions (DCNv2) on res3..res5.
_base_ = ['./tiny_faster_rcnn_r50_dconv.py']
model = dict(
    type='MaskRCNN',
    backbone=dict(dcn=dict(type='DCNv2', deform_groups=1, fallback_on_stride=False)),
    roi_head=dict(
        mask_roi_extractor=dict(type='SingleRoIExtractor', roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=0),
                                out_channels=32, featmap_strides=[4, 8, 16, 32]),
        mask_head=dict(type='FCNMaskHead', num_convs=4, in_channels=32, conv_out_channels=32, num_classes=3)),
    test_cfg=dict(rcnn=dict(mask_thr_binary=0.5)))
