/**
 * The part of Caffe's `caffe.proto` that holds trained weights, as a protobufjs schema. Field
 * numbers and types are those of BVLC Caffe (src/caffe/proto/caffe.proto); everything a
 * .caffemodel carries besides names, types and blobs (layer settings, fillers, …) is left out
 * and skipped on reading, since the net's own prototxt already describes it.
 *
 * Three layer formats reach a .caffemodel: V2 `layer` (100), V1 `layers` (2, enum types) and
 * V0, where a V1 wrapper holds the V0 layer in its field 1 with the blobs at 50.
 */
import protobuf from 'protobufjs';
import { V1LayerParameter_LayerType } from '../dialects/caffe/caffe-proto.js';
import { V1_TYPES } from '../dialects/caffe/upgrade.js';

const SCHEMA = {
  nested: {
    caffe: {
      nested: {
        BlobShape: { fields: { dim: { rule: 'repeated', type: 'int64', id: 1, options: { packed: true } } } },
        BlobProto: {
          fields: {
            shape: { type: 'BlobShape', id: 7 },
            data: { rule: 'repeated', type: 'float', id: 5, options: { packed: true } },
            diff: { rule: 'repeated', type: 'float', id: 6, options: { packed: true } },
            double_data: { rule: 'repeated', type: 'double', id: 8, options: { packed: true } },
            double_diff: { rule: 'repeated', type: 'double', id: 9, options: { packed: true } },
            // The deprecated 4-D shape; Caffe reads it "from the end" (a bias is 1×1×1×N).
            num: { type: 'int32', id: 1 },
            channels: { type: 'int32', id: 2 },
            height: { type: 'int32', id: 3 },
            width: { type: 'int32', id: 4 },
          },
        },
        NetParameter: {
          fields: {
            name: { type: 'string', id: 1 },
            layers: { rule: 'repeated', type: 'V1LayerParameter', id: 2 },
            layer: { rule: 'repeated', type: 'LayerParameter', id: 100 },
          },
        },
        LayerParameter: {
          fields: {
            name: { type: 'string', id: 1 },
            type: { type: 'string', id: 2 },
            blobs: { rule: 'repeated', type: 'BlobProto', id: 7 },
          },
        },
        V1LayerParameter: {
          fields: {
            layer: { type: 'V0LayerParameter', id: 1 },
            name: { type: 'string', id: 4 },
            type: { type: 'int32', id: 5 },
            blobs: { rule: 'repeated', type: 'BlobProto', id: 6 },
          },
        },
        V0LayerParameter: {
          fields: {
            name: { type: 'string', id: 1 },
            type: { type: 'string', id: 2 },
            blobs: { rule: 'repeated', type: 'BlobProto', id: 50 },
          },
        },
      },
    },
  },
};

export const CAFFE_WEIGHTS_ROOT = protobuf.Root.fromJSON(SCHEMA);

const type = (name: string) => CAFFE_WEIGHTS_ROOT.lookupType(`caffe.${name}`);

/** The message types the reader walks, resolved once. */
export const MESSAGES = {
  NetParameter: type('NetParameter'),
  LayerParameter: type('LayerParameter'),
  V1LayerParameter: type('V1LayerParameter'),
  V0LayerParameter: type('V0LayerParameter'),
  BlobProto: type('BlobProto'),
  BlobShape: type('BlobShape'),
};

/**
 * V1LayerParameter.LayerType values → V2 type strings, from the Caffe dialect's transcription
 * of the enum and of upgrade_proto.cpp's UpgradeV1LayerType; used to name a layer's type.
 */
export const V1_LAYER_TYPES: ReadonlyMap<number, string> = new Map(
  Object.entries(V1LayerParameter_LayerType.values).map(([name, value]) => [value as number, V1_TYPES[name] ?? name]),
);
