// The competencies of the title "Administrateur système DevOps" (TP-01414, REAC v01) and their
// performance criteria. Criterion titles are the official French ones; the gloss is ours.
// Criterion ids (CP3.2 ...) are stable: artifacts and checks refer to them.

export interface Criterion {
  id: string;
  fr: string;
  en: string;
}

export interface Competency {
  id: string;
  block: 'AT1' | 'AT2' | 'AT3';
  fr: string;
  en: string;
  criteria: Criterion[];
}

const c = (id: string, fr: string, en: string): Criterion => ({ id, fr, en });

export const COMPETENCIES: Competency[] = [
  {
    id: 'CP1',
    block: 'AT1',
    fr: "Automatiser la création de serveurs à l'aide de scripts",
    en: 'Automate server creation with scripts',
    criteria: [
      c('CP1.1', 'Le serveur est fonctionnel', 'The server works'),
      c('CP1.2', 'La configuration est conforme au cahier des charges', 'The configuration matches the specification'),
      c('CP1.3', 'Les documentations sont mises à jour', 'The documentation is up to date'),
    ],
  },
  {
    id: 'CP2',
    block: 'AT1',
    fr: "Automatiser le déploiement d'une infrastructure",
    en: 'Automate the deployment of an infrastructure',
    criteria: [
      c('CP2.1', 'Les serveurs déployés sont fonctionnels', 'The deployed servers work'),
      c('CP2.2', "L'architecture est conforme au cahier des charges", 'The architecture matches the specification'),
      c('CP2.3', 'Les scripts sont documentés', 'The scripts are documented'),
    ],
  },
  {
    id: 'CP3',
    block: 'AT1',
    fr: "Sécuriser l'infrastructure",
    en: 'Secure the infrastructure',
    criteria: [
      c('CP3.1', 'Les mises à jour sont testées avant le déploiement', 'Updates are tested before deployment'),
      c('CP3.2', 'Les accès aux serveurs sont sécurisés', 'Access to the servers is secured'),
    ],
  },
  {
    id: 'CP4',
    block: 'AT1',
    fr: "Mettre l'infrastructure en production dans le cloud",
    en: 'Put the infrastructure into production in the cloud',
    criteria: [
      c('CP4.1', 'Les serveurs déployés sont fonctionnels', 'The deployed servers work'),
      c('CP4.2', 'Les serveurs sont accessibles par les utilisateurs finaux', 'End users can reach the servers'),
      c('CP4.3', "L'architecture déployée est documentée", 'The deployed architecture is documented'),
    ],
  },
  {
    id: 'CP5',
    block: 'AT2',
    fr: 'Préparer un environnement de test',
    en: 'Prepare a test environment',
    criteria: [
      c('CP5.1', "L'environnement de tests est conforme au cahier des charges", 'The test environment matches the specification'),
      c('CP5.2', "Une version de test de l'application est produite", 'A test version of the application is built'),
      c('CP5.3', 'Les tests sont effectués', 'The tests are run'),
      c('CP5.4', 'Les dysfonctionnements sont remontés aux développeurs', 'Defects are reported to the developers'),
    ],
  },
  {
    id: 'CP6',
    block: 'AT2',
    fr: 'Gérer le stockage des données',
    en: 'Manage data storage',
    criteria: [
      c('CP6.1', 'Les serveurs de données sont opérationnels', 'The data servers are operational'),
      c('CP6.2', "Les droits d'accès sont conformes au cahier des charges", 'Access rights match the specification'),
      c('CP6.3', 'Les données sont sauvegardées', 'The data is backed up'),
    ],
  },
  {
    id: 'CP7',
    block: 'AT2',
    fr: 'Gérer des containers',
    en: 'Manage containers',
    criteria: [
      c('CP7.1', 'Les containers sont opérationnels', 'The containers are operational'),
      c('CP7.2', 'Les containers sont connectés au réseau', 'The containers are connected to the network'),
      c('CP7.3', 'Les containers sont connectés au stockage distant', 'The containers are connected to remote storage'),
      c('CP7.4', 'Les containers sont mis à jour', 'The containers are updated'),
    ],
  },
  {
    id: 'CP8',
    block: 'AT2',
    fr: "Automatiser la mise en production d'une application avec une plateforme",
    en: 'Automate putting an application into production with a platform',
    criteria: [
      c(
        'CP8.1',
        "L'environnement de pré-production est conforme à l'environnement de production",
        'Pre-production matches production',
      ),
      c('CP8.2', 'Les dysfonctionnements sont remontés aux développeurs', 'Defects are reported to the developers'),
      c('CP8.3', 'Les containers sont décrits sur la plateforme', 'The containers are described on the platform'),
      c(
        'CP8.4',
        "L'application ou sa mise à jour est disponible pour les utilisateurs",
        'The application or its update is available to users',
      ),
    ],
  },
  {
    id: 'CP9',
    block: 'AT3',
    fr: 'Définir et mettre en place des statistiques de services',
    en: 'Define and set up service statistics',
    criteria: [
      c('CP9.1', 'Les indicateurs choisis sont pertinents', 'The chosen indicators are relevant'),
      c('CP9.2', 'Les indicateurs tiennent compte des SLA', 'The indicators take the SLAs into account'),
      c('CP9.3', 'Les indicateurs sont exhaustifs', 'The indicators are comprehensive'),
    ],
  },
  {
    id: 'CP10',
    block: 'AT3',
    fr: 'Exploiter une solution de supervision',
    en: 'Operate a monitoring solution',
    criteria: [
      c('CP10.1', 'Les indicateurs définis sont pertinents', 'The defined indicators are relevant'),
      c('CP10.2', 'Les alertes sont correctement interprétées', 'Alerts are interpreted correctly'),
      c('CP10.3', 'Les échanges avec les développeurs sont réguliers', 'Exchanges with the developers are regular'),
    ],
  },
  {
    id: 'CP11',
    block: 'AT3',
    fr: 'Echanger sur des réseaux professionnels éventuellement en anglais',
    en: 'Communicate on professional networks, possibly in English',
    // Assessed by a written questionnaire, not by a project: no lab artifact can cover it.
    criteria: [],
  },
];

export function competency(id: string): Competency | undefined {
  return COMPETENCIES.find((x) => x.id === id);
}

export function criterion(id: string): Criterion | undefined {
  for (const comp of COMPETENCIES) {
    const found = comp.criteria.find((x) => x.id === id);
    if (found) return found;
  }
  return undefined;
}
