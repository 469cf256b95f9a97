"""Procedural 3-D scenes with every Taskonomy-style dense label, computed exactly from one geometry.

Each image is one random scene (units: metres, y up), ray-cast (nearest hit) against analytic primitives:
infinite planes, yaw-rotated boxes, spheres and vertical cylinders, one class per primitive.

- ``indoor`` (stands in for NYUv2/Taskonomy): a closed room of 4-8 m x 4-8 m x 2.5-3.2 m (floor, four walls,
  ceiling) with tables, cabinets, a bed, crates (boxes), balls and a ceiling lamp (spheres), a pillar and
  bins (cylinders); a point light under the ceiling (just below the lamp, if any); the camera 1.1-1.8 m
  high, looking roughly across the room and slightly down.
- ``street`` (stands in for Cityscapes/Virtual KITTI): a road plane, raised sidewalks and buildings (boxes),
  cars and a truck (boxes), poles and people (cylinders), bushes (spheres), the sky; the sun as a directional
  light; a car-mounted camera 1.2-1.8 m high looking down the road.

Each class has its own shape and size range and colour/texture statistics, so classes are learnable from
appearance. Stuff classes (floor, wall, ceiling; road, sidewalk, building, sky) are background for ``parts``
and ``saliency``; the other classes are objects ("things"). The camera has a random pose and a horizontal
field of view of 48-77 degrees (OpenCV camera frame: x right, y down, z forward). Every label is a function of
the one hit per pixel, so the labels agree with each other exactly:

=================== =========== ====================================================================================
key                 shape       definition
=================== =========== ====================================================================================
rgb                 (n,3,H,W)   ``albedo * reshading`` in [0, 1] (also the autoencoding target)
segment_semantic    (n,H,W)     class id of the hit primitive (``classes(family)``); every pixel is labelled
parts               (n,H,W)     object-part id (``part_classes(family)``): box top, box side (normal across the
                                box's longer horizontal axis) or box end (normal along it), upper or lower
                                hemisphere of a sphere, side or top cap of a cylinder; 0 on stuff and sky
saliency            (n,H,W)     1 on the most salient object: the object ("thing" class) with the largest
                                projected area in the image, ties to the lower slot; all 0 if no object is seen
depth_zbuffer       (n,1,H,W)   camera-frame z of the hit, metres
depth_euclidean     (n,1,H,W)   distance from the camera centre to the hit, metres (>= depth_zbuffer)
normal              (n,3,H,W)   unit surface normal in the camera frame (x right, y down, z forward), facing the
                                camera: ``dot(normal, ray) <= 0``
reshading           (n,1,H,W)   ``ambient + (1 - ambient) * max(0, n . l)``: Lambertian shading of the
                                untextured geometry under the scene's one light (no shadows), in [0, 1]
edge_texture        (n,1,H,W)   colour Sobel magnitude of ``rgb``, scaled so a unit step gives 1, clipped to 1
edge_occlusion      (n,1,H,W)   ``max(depth term, normal term)`` in [0, 1]: the depth term is 4 x the relative
                                second difference of inverse z-depth (exactly 0 inside a plane,
                                ``4 (1 - z_near/z_far)`` at an occlusion), the normal term ``|n_i - n_j| / 2``
                                (max over the 4-neighbours; 0.71 at a right-angled crease), both clipped to 1
keypoints2d         (n,1,H,W)   Shi-Tomasi response of ``rgb``: ``2 sqrt(lambda_min)`` of the colour structure
                                tensor (Sobel of the 3x3-smoothed image, 5x5 binomial window), clipped to 1
keypoints3d         (n,1,H,W)   the same Shi-Tomasi response computed on the geometry: camera-frame normals
                                and the bounded depth ``4 z / (z + 2 m)``, clipped to 1
principal_curvature (n,2,H,W)   (k1, k2), k1 >= k2, in 1/metre, analytic: planes and box faces (0, 0),
                                spheres (1/r, 1/r), cylinder sides (1/r, 0), cylinder caps and sky (0, 0)
albedo              (n,3,H,W)   surface colour without shading, in [0, 1]
=================== =========== ====================================================================================

Sky (street scenes only): the world is clipped at the far plane ``depth_zbuffer = FAR_DEPTH`` (100 m; so the
infinite road ends before the horizon), and rays that hit nothing in front of it see the sky, which is that far
plane: ``depth_zbuffer = FAR_DEPTH``, ``depth_euclidean = FAR_DEPTH / cos(angle to the optical axis)``, normal
(0, 0, -1) in the camera frame, reshading 1, curvature (0, 0), parts 0, and its albedo a per-scene blue gradient.

Textures (stripes, checks, triangle-wave interference, dashed lane marks) are solid textures in the object's
own frame, so texture edges exist apart from geometry edges; they fade to their mean where one period covers
fewer than 4 pixels (an analytic anti-aliasing), so far textures do not alias into noise.

Determinism: scene ``i`` of ``render(n, seed=s)`` is drawn by ``np.random.default_rng`` from the child seed
``SeedSequence(s, spawn_key=(i,))`` (what ``SeedSequence(s).spawn`` gives), so it depends on ``(s, i, family)``
only and ``render(10, seed=0)[k][:5] == render(5, seed=0)[k]`` exactly. Scene parameters use only
arithmetic of the generator's uniform draws (no trigonometry), and rendering uses only correctly rounded
float32 operations (add, multiply, divide, sqrt, floor, min/max) with no float reductions whose order could
depend on the batch, so that a CPU gives the same bits on any machine (a test pins a class histogram); a GPU
gives the same labels up to rounding.

Speed: rays are cast in 8 x 8 pixel tiles, each against only the primitives whose bounding sphere meets the
tile's cone of rays; the benchmark ``benchmarks/bench_render.py`` measures scenes per second.
"""

from paper_mtl.data.scenes.api import _one_cpu_thread, render
from paper_mtl.data.scenes.sampling import _scene_tables
from paper_mtl.data.scenes.schema import (
    FAMILIES, FAR_DEPTH, LABEL_KEYS, _ACTIVE, _CLASS, _O, _R, classes, part_classes,
)

# The private names are re-exported for the tests (scene tables and their columns) and benchmarks/bench_render.py.
__all__ = ["FAMILIES", "FAR_DEPTH", "LABEL_KEYS", "classes", "part_classes", "render",
           "_ACTIVE", "_CLASS", "_O", "_R", "_one_cpu_thread", "_scene_tables"]
