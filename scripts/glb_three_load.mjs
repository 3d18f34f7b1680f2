// Parse a GLB with three.js's GLTFLoader in Node and print the skinned meshes it finds: the avatar.glb load
// check of issue #4. Usage: npm install --no-save three@0.170.0 && node scripts/glb_three_load.mjs AVATAR/avatar.glb
import fs from 'fs';
import * as THREE from 'three';
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
// Node has no DOM: textures are decoded by the browser; stub the image path so parsing (geometry, skin,
// animation) runs and the texture references are still resolved.
globalThis.self = globalThis;
globalThis.createImageBitmap = async () => ({ width: 1, height: 1, close() {} });
globalThis.Blob = globalThis.Blob; globalThis.URL.createObjectURL = () => 'blob:stub'; globalThis.URL.revokeObjectURL = () => {};
const data = fs.readFileSync(process.argv[2]);
const loader = new GLTFLoader();
loader.parse(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength), '', (gltf) => {
  let skinned = 0, bones = 0, verts = 0, textured = 0;
  gltf.scene.traverse((o) => {
    if (o.isSkinnedMesh) { skinned++; bones = o.skeleton.bones.length; verts += o.geometry.attributes.position.count;
      if (o.material.map) textured++; }
  });
  const box = new THREE.Box3().setFromObject(gltf.scene);
  console.log(JSON.stringify({ skinned, bones, verts, textured, animations: gltf.animations.length,
    minY: box.min.y, maxY: box.max.y }));
}, (e) => { console.error('ERROR', e); process.exit(1); });
