"""The service catalogue: the areas a teacher can ask for help with."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    description: str = ""


@dataclass(frozen=True)
class Catalogue:
    categories: tuple[Category, ...]

    def get(self, category_id: str) -> Category | None:
        """Return the category with this id, or None."""
        return next((category for category in self.categories if category.id == category_id), None)

    def name_of(self, category_id: str) -> str:
        """Return the category's display name, or the id itself for a category since removed."""
        category = self.get(category_id)
        return category.name if category else category_id
