// Geo search geometry with Redis's exact arithmetic (geohash_helper.c): great-circle
// distances, the search shapes of GEOSEARCH / GEORADIUS, and the nine geohash cells
// (a centre cell and its neighbours, at a step estimated from the shape's size) whose
// score ranges together cover a shape. Reproducing the same cells, the same distance
// formula and the same membership tests makes a search return the same members, in the
// same order, with the same distances as Redis.
//
// Thread-safety: pure functions and plain values.
#pragma once

#include <array>
#include <cstdint>

#include "engine/types/geo/geohash.h"

namespace tierkv {

// Earth's quadratic mean radius for WGS-84, Redis's EARTH_RADIUS_IN_METERS.
inline constexpr double kEarthRadiusMeters = 6372797.560856;
// Half the Mercator world's width in metres (the step estimate doubles a radius up to it).
inline constexpr double kMercatorMax = 20037726.37;

// Haversine distance in metres between two positions, as Redis 7.0's geohashGetDistance.
double GeoDistance(double lon1, double lat1, double lon2, double lat2);

// BYRADIUS or BYBOX around a centre. Sizes are in the unit the command named; `to_meters`
// converts them (distances found are divided by it again for the reply).
struct GeoShape {
  enum class Kind { kRadius, kBox };
  Kind kind = Kind::kRadius;
  GeoCoordinates center;
  double radius = 0;  // kRadius
  double width = 0;   // kBox
  double height = 0;  // kBox
  double to_meters = 1;
};

// Whether `point` is inside the shape (a circle: distance <= radius; a box: east-west and
// north-south distances within half the width and height), and if so its distance from
// the centre in metres in *distance.
bool GeoWithinShape(const GeoShape& shape, GeoCoordinates point, double* distance);

// The shape's bounding box in degrees: {min longitude, min latitude, max longitude, max
// latitude}, wider on the side nearer a pole (Redis's geohashBoundingBox).
std::array<double, 4> GeoBoundingBox(const GeoShape& shape);

// The geohash step (bits per axis) whose cells are about the size of a search of
// `range_meters` at `latitude`: 26 for a zero radius, one or two less near the poles,
// within 1..26 (Redis's geohashEstimateStepsByRadius).
uint8_t GeoEstimateSteps(double range_meters, double latitude);

// The cells to read for a shape, in Redis's order: the centre cell, then north, south,
// east, west, north-east, north-west, south-east, south-west. A cell the shape cannot
// reach is zero (GeoHashBits::IsZero) and is skipped.
struct GeoSearchCells {
  std::array<GeoHashBits, 9> cells;
  GeoArea center_area;  // the centre cell's extent
};
GeoSearchCells GeoCellsForShape(const GeoShape& shape);

}  // namespace tierkv
