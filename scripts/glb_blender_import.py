"""Import a GLB in Blender (headless) and print what came in: the avatar.glb load check of issue #4.

Usage: blender -b --factory-startup --python scripts/glb_blender_import.py -- AVATAR/avatar.glb
(Debian: apt-get install blender python3-numpy.)
"""
import sys, bpy
import numpy
numpy.bool = bool  # Debian: Blender 3.4 importer vs numpy >= 1.24 (np.bool removed)
path = sys.argv[sys.argv.index("--") + 1]
bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.import_scene.gltf(filepath=path)
meshes = [o for o in bpy.data.objects if o.type == "MESH"]
arms = [o for o in bpy.data.objects if o.type == "ARMATURE"]
m = meshes[0]
skinned = any(mod.type == "ARMATURE" for mod in m.modifiers)
images = [i.name for i in bpy.data.images]
print("RESULT meshes", len(meshes), "armatures", len(arms), "bones", len(arms[0].data.bones) if arms else 0,
      "vertices", len(m.data.vertices), "vertex_groups", len(m.vertex_groups), "armature_modifier", skinned,
      "images", images, "actions", len(bpy.data.actions))
